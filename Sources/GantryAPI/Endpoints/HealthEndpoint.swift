import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /healthz`: 200 when this master can reach its database, 503 with the reason when it cannot, so a
    /// load balancer stops sending requests to a master that could not answer them.
    func addHealth(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ -> Response in
            do {
                try await database.execute("SELECT 1")
                return APIResponse.json(.ok, .object(["status": .string("ok")]))
            } catch {
                return APIResponse.json(
                    .serviceUnavailable,
                    .object(["status": .string("unavailable"), "error": .string(DatabaseFailure.reason(error))])
                )
            }
        }
    }
}
