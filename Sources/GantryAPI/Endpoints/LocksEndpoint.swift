import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/locks`: the locks held now, across the cluster. Each held lock (`name`, and `scope`: empty for
    /// a master lock, the worker's name for a worker lock's copy) with its holders: `buildid`, `stepid` (null for
    /// the build's own locks), `masterid`, `exclusive` and `acquired_at` (seconds since 1970). A lock nobody holds
    /// is not listed; the waiters show themselves in their builds' and steps' state strings.
    func addLocks(to router: Router<APIRequestContext>) {
        router.get("/api/v2/locks") { [self] _, _ -> Response in
            await APIResponse.answering(logger: logger) {
                let holders = try await database.locks.getHolders()
                var instances: [LockInstance] = []
                var byInstance: [LockInstance: [JSONValue]] = [:]
                for holder in holders {
                    if byInstance[holder.instance] == nil { instances.append(holder.instance) }
                    byInstance[holder.instance, default: []].append(Self.lockHolderItem(holder))
                }
                let items = instances.map { instance -> JSONValue in
                    .object([
                        "name": .string(instance.name), "scope": .string(instance.scope),
                        "holders": .array(byInstance[instance] ?? []),
                    ])
                }
                return APIResponse.collection("locks", items, total: items.count, fields: nil)
            }
        }
    }

    private static func lockHolderItem(_ holder: LocksConnector.Holder) -> JSONValue {
        .object([
            "buildid": .number(Double(holder.buildID)),
            "stepid": holder.stepID.map { .number(Double($0)) } ?? .null,
            "masterid": .number(Double(holder.masterID)),
            "exclusive": .bool(holder.exclusive),
            "acquired_at": .number(holder.acquiredAt.timeIntervalSince1970),
        ])
    }
}
