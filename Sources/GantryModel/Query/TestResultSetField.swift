/// The fields of Buildbot's test result sets collection, which Gantry serves empty (it records no test results):
/// queries on them are accepted as Buildbot accepts them.
public enum TestResultSetField: String, QueryField {
    case testResultSetID = "test_result_setid"
    case builderid
    case buildid
    case stepid
    case description
    case category
    case valueUnit = "value_unit"
    case testsPassed = "tests_passed"
    case testsFailed = "tests_failed"
    case complete

    public var valueType: QueryValue.Kind {
        switch self {
        case .testResultSetID, .builderid, .buildid, .stepid, .testsPassed, .testsFailed: .int
        case .description, .category, .valueUnit: .string
        case .complete: .bool
        }
    }
}
