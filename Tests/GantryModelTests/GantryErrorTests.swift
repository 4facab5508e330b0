import GantryModel
import Testing

@Suite("GantryError")
struct GantryErrorTests {
    /// An error from below, as a driver would throw it, whose text must reach logs but never users.
    private struct DriverFailure: Error, CustomStringConvertible, CustomDebugStringConvertible {
        var description: String { "driver failed" }
        var debugDescription: String { "DriverFailure(host: db.internal, detail: relation \"builds\" is locked)" }
    }

    @Test("description is the message alone; debugDescription adds the underlying error and the place")
    func descriptions() {
        let error = GantryError(.databaseUnavailable, "cannot reach the database", underlying: DriverFailure())
        let (file, line) = (#fileID, #line - 1)
        #expect(error.description == "cannot reach the database")
        #expect("\(error)" == "cannot reach the database")
        #expect(String(describing: error) == "cannot reach the database")
        #expect(error.underlying == "DriverFailure(host: db.internal, detail: relation \"builds\" is locked)")
        #expect(error.file == file)
        #expect(error.line == line)
        let debug = String(reflecting: error)
        #expect(debug.contains("databaseUnavailable"))
        #expect(debug.contains("\"cannot reach the database\""))
        #expect(debug.contains("relation \"builds\" is locked"))
        #expect(debug.contains("\(file), line: \(line)"))
    }

    @Test("without an underlying error, debugDescription still names the place")
    func noUnderlying() {
        let error = GantryError(.notFound, "no build 7", file: "Here/There.swift", line: 12)
        #expect(error.underlying == nil)
        #expect(error.description == "no build 7")
        #expect(
            error.debugDescription
                == #"GantryError(code: notFound, message: "no build 7", file: Here/There.swift, line: 12)"#)
    }

    @Test("a wrapped GantryError keeps its own context in the wrapper's")
    func nested() {
        let inner = GantryError(.conflict, "changed by another writer", file: "Inner.swift", line: 3)
        let outer = GantryError(.databaseUnavailable, "nothing was written", underlying: inner)
        #expect(outer.description == "nothing was written")
        #expect(outer.underlying?.contains("changed by another writer") == true)
        #expect(outer.underlying?.contains("Inner.swift, line: 3") == true)
    }

    @Test("equality compares code and message only")
    func equality() {
        let made = GantryError(.conflict, "build 3 has already finished", file: "A.swift", line: 1)
        let wrapped = GantryError(
            .conflict, "build 3 has already finished", underlying: DriverFailure(), file: "B.swift", line: 99)
        #expect(made == wrapped)
        #expect(made != GantryError(.notFound, "build 3 has already finished"))
        #expect(made != GantryError(.conflict, "build 4 has already finished"))
    }
}
