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
        on router: Router<BasicRequestContext>,
        page: @escaping @Sendable (ResultSpec<Field>) async throws -> Page<JSONValue>
    ) {
        router.get(path) { request, _ -> Response in
            await APIResponse.answering(logger: logger) {
                let query = try CollectionQuery<Field>(Self.options(of: request), keys: keys)
                let result = try await page(query.spec)
                return APIResponse.collection(key, result.items, total: result.total, fields: query.fields)
            }
        }
    }

    /// Serves `GET path/{id}` as one resource of the collection; `item` finds it by the `{id}` text, and no
    /// item is 404 ("no `noun` 'id'").
    func resource<Field: QueryField>(
        _ path: RouterPath,
        key: String,
        keys: Set<String>,
        of _: Field.Type,
        on router: Router<BasicRequestContext>,
        noun: String,
        item: @escaping @Sendable (String) async throws -> JSONValue?
    ) {
        router.get(path) { request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let query = try CollectionQuery<Field>(Self.options(of: request), keys: keys)
                let id = context.parameters.get("id") ?? ""
                guard let found = try await item(id) else { throw GantryError(.notFound, "no \(noun) '\(id)'") }
                return APIResponse.collection(key, [found], total: 1, fields: query.fields)
            }
        }
    }
}
