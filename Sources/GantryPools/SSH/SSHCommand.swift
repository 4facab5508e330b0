import Foundation
import GantryModel

/// The `ssh` command lines of an `ssh` pool, and the scripts they run on its hosts.
///
/// A worker lives in a session: one ssh child of the master whose script starts `gantry worker` in the background
/// and stays to watch two things. The worker ending ends the session (the master sees its child exit), after the
/// pool's `cleanup`. The session's standard input reaching its end (the master closed it, or died, or the
/// connection was lost) stops the worker: SIGTERM, then SIGKILL 10 s later.
struct SSHCommand: Sendable {
    let settings: SSHSettings
    /// The private key's file on the master.
    let keyFile: String
    /// The known hosts file on the master: the pinned keys, or the keys ssh accepted the first time.
    let knownHostsFile: String
    /// Whether `knownHostsFile` holds pinned keys, so a host it does not list is refused.
    let pinned: Bool

    /// The line a session's script prints once the worker runs; all before it is the start, all after its life.
    static let startedLine = "gantry-worker-started"

    /// ssh's arguments to run `script` on `host` with `/bin/sh`. No configuration file is read (a user's
    /// `ControlMaster` or `RemoteCommand` would change what a session is), it never prompts, and a connection that
    /// stops answering ends within 15 s. The known hosts file is quoted, as ssh splits that option's value into
    /// several files at spaces.
    func arguments(_ host: SSHSettings.Host, running script: String) -> [String] {
        let seconds = max(Int((settings.connectTimeout / .seconds(1)).rounded(.up)), 1)
        return [
            "-F", "none", "-T", "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=\(seconds)", "-o", "StrictHostKeyChecking=\(pinned ? "yes" : "accept-new")",
            "-o", "UserKnownHostsFile=\"\(knownHostsFile)\"", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3", "-o", "LogLevel=ERROR",
            "-p", "\(host.port)", "-l", settings.user, "--", host.address, "/bin/sh -c " + Self.quoted(script),
        ]
    }

    /// The worker's directory on a host, as a shell word.
    private func directory(_ name: String) -> String {
        Self.quoted(settings.basedir) + "/" + Self.quoted(name)
    }

    /// The session script of worker `name`: reads the password from the first line of standard input into a file
    /// only the user may read (it is never in a command line or an environment), starts the worker, records its
    /// pid with `token` (which tells this start from a later one of the same name), prints ``startedLine``, then
    /// watches (see ``SSHCommand``).
    func sessionScript(name: String, master: String, token: String) -> String {
        let gantry = Self.quoted(settings.gantry)
        let missing = Self.quoted("\(settings.gantry) is not found")
        var script = """
            exec 3<&0
            dir=\(directory(name))
            command -v \(gantry) >/dev/null 2>&1 || { echo \(missing) >&2; exit 127; }
            mkdir -p "$dir/work" && chmod 700 "$dir" || exit 1
            IFS= read -r password || exit 1
            (umask 077 && printf '%s\\n' "$password" >"$dir/.password") || exit 1
            unset password
            [ ! -f "$dir/worker.log" ] || mv -f "$dir/worker.log" "$dir/worker.log.1"
            \(gantry) worker --master \(Self.quoted(master)) --name \(Self.quoted(name)) \
            --password-file "$dir/.password" --basedir "$dir/work" --exit-with-parent \
            </dev/null >"$dir/worker.log" 2>&1 3<&- &
            worker=$!
            echo "$worker "\(Self.quoted(token)) >"$dir/pid"
            echo \(Self.startedLine)
            (
              while read -r _; do :; done
              kill -TERM "$worker" 2>/dev/null
              i=0
              while kill -0 "$worker" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
              kill -KILL "$worker" 2>/dev/null
            ) <&3 >/dev/null 2>&1 &
            watcher=$!
            exec 3<&-
            wait "$worker"
            status=$?
            kill "$watcher" 2>/dev/null
            rm -f "$dir/pid" "$dir/.password"

            """
        if let cleanup = settings.cleanup {
            script += "(cd \"$dir\" && /bin/sh -c \(Self.quoted(cleanup))) || echo 'the cleanup failed' >&2\n"
        }
        return script + "exit \"$status\"\n"
    }

    /// Stops worker `name` by its recorded pid, if the start that recorded it was the one of `token` (any, when
    /// nil) and the process is still the worker (a pid left by a session that was killed may name another process
    /// by now): SIGTERM, then SIGKILL 10 s later.
    func reapScript(name: String, token: String?) -> String {
        """
        dir=\(directory(name))
        [ -f "$dir/pid" ] || exit 0
        read -r pid token <"$dir/pid"
        [ -z \(Self.quoted(token ?? "")) ] || [ "$token" = \(Self.quoted(token ?? "")) ] || exit 0
        case $(ps -o args= -p "$pid" 2>/dev/null) in
        *" worker "*" --name "\(Self.quoted(name))" "*) ;;
        *) exit 0 ;;
        esac
        alive() { s=$(ps -o stat= -p "$pid" 2>/dev/null) && [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
        kill -TERM "$pid" 2>/dev/null
        i=0
        while alive && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
        ! alive || kill -KILL "$pid" 2>/dev/null
        rm -f "$dir/pid" "$dir/.password"

        """
    }

    /// `text` for a POSIX shell, as one word.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
