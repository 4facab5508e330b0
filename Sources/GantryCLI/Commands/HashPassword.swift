import ArgumentParser
import Foundation
import GantryCommandLine
import HummingbirdBcrypt

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension GantryCommand {
    /// `gantry hash-password`: the bcrypt hash of a password, for `auth.users[].password` or an htpasswd file.
    struct HashPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-password",
            abstract: "Print the bcrypt hash of a password read from standard input, for auth.users[].password.",
            discussion: """
                Reads one line from standard input (not echoed on a terminal), so the password never appears in \
                the shell's history or the process list; 'gantry hash-password < file' works too.
                """
        )

        /// bcrypt reads no further than this many bytes: a longer password would be accepted by its first 72.
        static let maxBytes = 72

        @Option(help: ArgumentHelp("The bcrypt cost: each step doubles the time a check takes.", valueName: "4-31"))
        var cost: UInt8 = 12

        func validate() throws {
            guard (4...31).contains(cost) else { throw ValidationError("--cost must be from 4 to 31, not \(cost)") }
        }

        func run() async throws {
            guard let password = Self.readPassword(), !password.isEmpty else {
                throw CommandFailure("no password on standard input")
            }
            guard password.utf8.count <= Self.maxBytes else {
                throw CommandFailure("the password is longer than bcrypt's \(Self.maxBytes) bytes; use a shorter one")
            }
            print(Bcrypt.hash(password, cost: cost))
        }

        /// One line of standard input, without its line end; on a terminal, asked for on standard error and not
        /// echoed.
        private static func readPassword() -> String? {
            var original = termios()
            guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &original) == 0 else {
                return readLine(strippingNewline: true)
            }
            FileHandle.standardError.write(Data("Password: ".utf8))
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
            defer {
                _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            return readLine(strippingNewline: true)
        }
    }
}
