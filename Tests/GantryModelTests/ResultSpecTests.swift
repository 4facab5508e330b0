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

    @Test(
        "paging in memory takes any limit and offset, Int.max included",
        arguments: [0, 1, 2, 4, 5, 6, Int.max - 1, Int.max], [0, 1, 3, 5, 7, Int.max - 1, Int.max])
    func pagingBounds(_ limit: Int, _ offset: Int) throws {
        let items = Array(0..<5)
        let page = try ResultSpec<MasterField>(limit: limit, offset: offset).select(from: items) { _, _ in nil }
        let expected = offset >= items.count ? [] : Array(items[offset..<min(items.count, offset + min(limit, 5))])
        #expect(page.items == expected)
        #expect(page.total == 5)
        #expect(Int.max.addingSaturated(1) == .max)
        #expect(Int.min.addingSaturated(-1) == .min)
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
