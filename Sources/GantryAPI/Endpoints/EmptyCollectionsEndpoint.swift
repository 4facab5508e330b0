import GantryModel
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/projects`, `/codebases` and `/test_result_sets`: Buildbot's collections of things Gantry does
    /// not have, answered empty (with their query options checked) so that clients written for Buildbot get an
    /// answer rather than a 404.
    func addEmptyCollections(to router: Router<APIRequestContext>) {
        emptyCollection("/api/v2/projects", key: "projects", of: ProjectField.self, on: router)
        emptyCollection("/api/v2/codebases", key: "codebases", of: CodebaseField.self, on: router)
        emptyCollection("/api/v2/test_result_sets", key: "test_result_sets", of: TestResultSetField.self, on: router)
    }

    /// Serves `GET path` as a collection with no items, whose items would have `Field`'s keys.
    private func emptyCollection<Field: QueryField>(
        _ path: RouterPath, key: String, of _: Field.Type, on router: Router<APIRequestContext>
    ) {
        collection(path, key: key, keys: Set(Field.allCases.map(\.rawValue)), of: Field.self, on: router) { _ in
            Page(items: [], total: 0)
        }
    }
}
