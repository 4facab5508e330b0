import Foundation
import GantryModel
import Testing

@Suite("Secrets")
struct SecretStoreTests {
    @Test("a file in the secrets directory wins over the environment; names cannot leave the directory")
    func directoryThenEnvironment() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-secrets-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "from-file\n".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "two\nlines\n\n".write(to: directory.appendingPathComponent("key"), atomically: true, encoding: .utf8)
        try "hidden".write(to: directory.appendingPathComponent(".hidden"), atomically: true, encoding: .utf8)
        let outside = directory.deletingLastPathComponent().appendingPathComponent("gantry-outside-\(UUID())")
        try "outside".write(to: outside, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: outside) }
        let secrets = SecretStore(
            directory: directory.path, environmentPrefix: "S_",
            environment: ["S_token": "from-env", "S_only": "env-only", "token": "unprefixed"])
        #expect(secrets.value("token") == "from-file", "one trailing newline is dropped")
        #expect(secrets.value("key") == "two\nlines\n")
        #expect(secrets.value("only") == "env-only")
        #expect(secrets.value("missing") == nil)
        #expect(secrets.value(".hidden") == nil && secrets.value("../\(outside.lastPathComponent)") == nil)
        #expect(secrets.value("") == nil)
        #expect(SecretStore(directory: directory.path).value("only") == nil, "no prefix, no environment")
    }
}
