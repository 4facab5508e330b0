import GantryModel
import GantryWorkers

extension StepRun {
    /// Git: a clone, or a fetch into the existing clone, checked out at the source stamp's revision (the
    /// branch's head without one); `got_revision` is set to the commit checked out.
    func git(_ checkout: GitCheckout) async throws -> BuildResult {
        let workdir = workerPath(try await render(checkout.workdir))
        let repourl = try await render(checkout.repourl)
        let stamp = codebases[checkout.codebase]
        let branch = stamp?.branch ?? checkout.branch
        let revision = stamp?.revision

        if case .full(.clobber) = checkout.mode {
            guard case .exited(0) = try await execute(.rmdir(paths: [workdir])) else {
                return .failure
            }
        }
        let end: CommandEnd
        if try await execute(.stat(path: workdir + "/.git")) == .exited(0) {
            if case .full(.fresh) = checkout.mode {
                let cleaned = try await git(["clean", "-f", "-f", "-d", "-x"], in: workdir)
                guard cleaned == .exited(0) else { return Self.result(of: cleaned) }
            }
            let fetched = try await git(["fetch", "-f", "-t", repourl, branch], in: workdir)
            guard fetched == .exited(0) else { return Self.result(of: fetched) }
            end = try await git(["checkout", "-f", revision ?? "FETCH_HEAD"], in: workdir)
        } else {
            let clone = ["clone"] + (branch == "HEAD" ? [] : ["--branch", branch]) + [repourl, "."]
            let cloned = try await git(clone, in: workdir)
            guard cloned == .exited(0), let revision else { return Self.result(of: cloned) }
            end = try await git(["checkout", "-f", revision], in: workdir)
        }
        guard end == .exited(0) else { return Self.result(of: end) }

        await log.keepStdout()
        let parsed = try await git(["rev-parse", "HEAD"], in: workdir)
        let kept = await log.takeStdout()
        guard parsed == .exited(0) else { return Self.result(of: parsed) }
        guard let head = kept?.trimmingCharacters(in: .whitespacesAndNewlines) else { throw StdioLog.keptOutputTooLong }
        try await properties.set("got_revision", .string(head), source: "Git")
        return .success
    }

    private func git(_ arguments: [String], in workdir: String) async throws -> CommandEnd {
        try await execute(
            .shell(
                RemoteCommand.Shell(
                    workdir: workdir, command: .argv(["git"] + arguments), logEnviron: false, timeout: 1200)))
    }
}
