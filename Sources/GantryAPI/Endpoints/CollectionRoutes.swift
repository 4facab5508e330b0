import GantryModel
import Hummingbird

extension HTTPAPI {
    /// Serves `GET path` as a collection: the query options are parsed for `Field` (400 when they do not fit)
    /// and `page` answers the spec.
    func collection<Field: QueryField>(
        _ path: RouterPath,
        key: String,
        keys: Set<String>,
        of _: Field.Type,
        on router: Router<APIRequestContext>,
        page: @escaping @Sendable (ResultSpec<Field>) async throws -> Page<JSONValue>
    ) {
        nestedCollection(path, key: key, keys: keys, of: Field.self, on: router, noun: "") { _, spec in
            try await page(spec)
        }
    }

    /// Serves `GET path` where the path names a parent by `{id}` (`/builds/{id}/steps`): `page` answers for the
    /// parent's id text, `nil` when there is no such `noun` (404).
    func nestedCollection<Field: QueryField>(
        _ path: RouterPath,
        key: String,
        keys: Set<String>,
        of _: Field.Type,
        on router: Router<APIRequestContext>,
        noun: String,
        page: @escaping @Sendable (String, ResultSpec<Field>) async throws -> Page<JSONValue>?
    ) {
        propertiesCollection(
            path, key: key, keys: keys, of: Field.self, on: router, noun: noun, withProperties: false
        ) { id, spec, _ in
            try await page(id, spec)
        }
    }

    /// Serves `GET path/{id}` as one resource of the collection; `item` finds it by the `{id}` text, and no
    /// item is 404 ("no `noun` 'id'").
    func resource<Field: QueryField>(
        _ path: RouterPath,
        key: String,
        keys: Set<String>,
        of _: Field.Type,
        on router: Router<APIRequestContext>,
        noun: String,
        item: @escaping @Sendable (String) async throws -> JSONValue?
    ) {
        nestedCollection(path, key: key, keys: keys, of: Field.self, on: router, noun: noun) { id, _ in
            try await item(id).map { Page(items: [$0], total: 1) }
        }
    }
}
