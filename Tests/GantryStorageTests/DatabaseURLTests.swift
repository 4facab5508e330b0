import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("DatabaseURL", .paced)
struct DatabaseURLTests {
    @Test("SQLite forms")
    func sqlite() throws {
        #expect(try DatabaseURL(parsing: "sqlite::memory:") == .sqlite(.memory))
        #expect(try DatabaseURL(parsing: "sqlite:gantry.sqlite") == .sqlite(.file(path: "gantry.sqlite")))
        #expect(try DatabaseURL(parsing: "sqlite:/var/lib/g.db") == .sqlite(.file(path: "/var/lib/g.db")))
        #expect(try DatabaseURL(parsing: "sqlite:///var/lib/g.db") == .sqlite(.file(path: "/var/lib/g.db")))
    }

    @Test("PostgreSQL with every part, percent-decoded credentials and options")
    func postgres() throws {
        let url = try DatabaseURL(parsing: "postgresql://bob:p%40ss@db.local:6543/farm?schema=ci&sslmode=require")
        #expect(
            url
                == .postgres(
                    .init(
                        host: "db.local",
                        port: 6543,
                        user: "bob",
                        password: "p@ss",
                        database: "farm",
                        schema: "ci",
                        tls: .require
                    )
                )
        )
        #expect(url.description == "postgres://bob:****@db.local:6543/farm?schema=ci")
        let plain = try DatabaseURL(parsing: "postgres://bob@db/farm")
        #expect(plain == .postgres(.init(host: "db", user: "bob", password: nil, database: "farm")))
        #expect(plain.description == "postgres://bob@db:5432/farm")
    }

    @Test(
        "malformed URLs are refused with the reason and the password masked",
        arguments: [
            ("", "expected sqlite:PATH"),
            ("sqlite:", "the SQLite file path is empty"),
            ("mysql://u:pw@h/db", "expected sqlite:PATH"),
            ("postgres://u:pw@/db", "no host"),
            ("postgres://h/db", "no user"),
            ("postgres://u:pw@h", "no database name"),
            ("postgres://u:pw@h/db?schema=a;drop", "unknown or invalid option 'schema'"),
            ("postgres://u:pw@h/db?sslmode=maybe", "sslmode must be"),
            ("postgres://u:pw@h/db?pool=3", "unknown or invalid option 'pool'"),
        ]
    )
    func malformed(_ text: String, _ reason: String) {
        let error = #expect(throws: GantryError.self) { try DatabaseURL(parsing: text) }
        #expect(error?.code == .invalidDatabaseURL)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(":pw@") == false)
    }

    @Test("the password never prints: descriptions and dumps of the URL and of its location show ****")
    func passwordNeverPrints() throws {
        let url = try DatabaseURL(parsing: "postgres://bob:hunter2@db.local:6543/farm?schema=ci")
        guard case .postgres(let location) = url else {
            Issue.record("not a PostgreSQL URL: \(url)")
            return
        }
        var dumped = ""
        dump(url, to: &dumped)
        dump(location, to: &dumped)
        let texts = [
            "\(url)", String(reflecting: url), "\(location)", String(describing: location),
            String(reflecting: location), dumped,
        ]
        for text in texts {
            #expect(!text.contains("hunter2"), "\(text)")
            #expect(text.contains("****"), "\(text)")
        }
    }
}
