import GantryModel
import Hummingbird

extension HTTPAPI {
    /// Serves `GET path` as a collection, as ``nestedCollection(_:key:keys:of:on:noun:page:)`` does, for items that
    /// may carry their properties (`withProperties`): `page` is also given the properties asked for with
    /// `property=NAME` or `property=*`, `nil` when none were, and adds them to its items.
    func propertiesCollection<Field: QueryField>(
        _ path: RouterPath,
        key: String,
        keys: Set<String>,
        of _: Field.Type,
        on router: Router<APIRequestContext>,
        noun: String,
        withProperties: Bool = true,
        page: @escaping @Sendable (String, ResultSpec<Field>, PropertySelection?) async throws -> Page<JSONValue>?
    ) {
        parameterizedCollection(
            path, key: key, keys: keys, of: Field.self, on: router, withProperties: withProperties
        ) { parameters, spec, properties in
            let id = parameters.get("id") ?? ""
            guard let result = try await page(id, spec, properties) else {
                throw GantryError(.notFound, "no \(noun) '\(id)'")
            }
            return result
        }
    }

    /// Serves `GET path` as a collection whose path names its parents by any parameters
    /// (`/masters/{id}/builders/{builderid}/workers`): `page` answers from the path's parameters, the spec and
    /// the properties asked for (when `withProperties`), and throws `GantryError.notFound` (404) for a parent that
    /// does not exist.
    func parameterizedCollection<Field: QueryField>(
        _ path: RouterPath,
        key: String,
        keys: Set<String>,
        of _: Field.Type,
        on router: Router<APIRequestContext>,
        withProperties: Bool,
        page: @escaping @Sendable (Parameters, ResultSpec<Field>, PropertySelection?) async throws -> Page<JSONValue>
    ) {
        router.get(path) { request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let query = try CollectionQuery<Field>(
                    Self.options(of: request), keys: keys, withProperties: withProperties)
                let result = try await page(context.parameters, query.spec, query.properties)
                return APIResponse.collection(key, result.items, total: result.total, fields: query.fields)
            }
        }
    }

    /// `item` with its `properties` (`{name: [value, source]}`) set.
    static func adding(properties: [String: JSONValue], to item: JSONValue) -> JSONValue {
        guard case .object(var object) = item else { return item }
        object["properties"] = .object(properties)
        return .object(object)
    }

    /// Serves `GET path` (`/builds/{id}/properties`) in Buildbot's shape: `{"properties": [{name: [value,
    /// source]}]}`; `read` answers for the `{id}` text, `nil` when there is no such `noun` (404). It takes no query
    /// options.
    func propertiesResource(
        _ path: RouterPath, on router: Router<APIRequestContext>, noun: String,
        read: @escaping @Sendable (String) async throws -> [String: JSONValue]?
    ) {
        router.get(path) { request, context -> Response in
            await APIResponse.answering(logger: logger) {
                if let option = Self.options(of: request).first {
                    throw GantryError(.invalidArgument, "unknown query option '\(option.key)'; properties take none")
                }
                let id = context.parameters.get("id") ?? ""
                guard let found = try await read(id) else { throw GantryError(.notFound, "no \(noun) '\(id)'") }
                return APIResponse.collection("properties", [.object(found)], total: 1, fields: nil)
            }
        }
    }
}
