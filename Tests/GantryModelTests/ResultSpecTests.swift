import GantryModel
import Testing

@Suite("ResultSpec")
struct ResultSpecTests {
    @Test("a filter value of the wrong type is refused")
    func wrongType() {
        let error = #expect(throws: GantryError.self) { try Filter(MasterField.active, .eq, [.string("yes")]) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "filter on 'active' needs bool values")
    }

    @Test("ordering operators take exactly one value")
    func oneValue() {
        #expect(throws: GantryError.self) { try Filter(MasterField.masterid, .lt, [.int(1), .int(2)]) }
        #expect(throws: GantryError.self) { try Filter(MasterField.masterid, .eq, []) }
        #expect(throws: Never.self) { try Filter(MasterField.masterid, .eq, [.int(1), .int(2)]) }
    }

    @Test("contains needs a string field")
    func containsString() {
        #expect(throws: GantryError.self) { try Filter(MasterField.masterid, .contains, [.int(1)]) }
        #expect(throws: Never.self) { try Filter(MasterField.name, .contains, [.string("a")]) }
    }

    @Test("negative limit or offset is refused")
    func paging() {
        #expect(throws: GantryError.self) { try ResultSpec<MasterField>(limit: -1) }
        #expect(throws: GantryError.self) { try ResultSpec<MasterField>(offset: -1) }
    }

    @Test("textual values parse by the field's type")
    func parsing() {
        #expect(QueryValue(parsing: "12", as: .int) == .int(12))
        #expect(QueryValue(parsing: "x", as: .int) == nil)
        #expect(QueryValue(parsing: "true", as: .bool) == .bool(true))
        #expect(QueryValue(parsing: "0", as: .bool) == .bool(false))
        #expect(QueryValue(parsing: "maybe", as: .bool) == nil)
        #expect(MasterField(rawValue: "last_active")?.valueType == .int)
    }
}
