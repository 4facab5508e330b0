import GantryModel
import GantryStorage
import Hummingbird
import Logging

extension HTTPAPI {
    /// `GET /healthz`: 200 when this master can reach its database, 503 when it cannot, so a load balancer
    /// stops sending requests to a master that could not answer them. The answer says only that; the driver's
    /// own text, which may name the database's host, stays in the log.
    func addHealth(to router: Router<APIRequestContext>) {
        router.get("/healthz") { _, _ -> Response in
            do {
                try await database.execute("SELECT 1")
                return APIResponse.json(.ok, .object(["status": .string("ok")]))
            } catch {
                logger.warning(
                    "health check failed: the database did not answer",
                    metadata: [LogKey.error: "\(DatabaseFailure.reason(error))"])
                return APIResponse.json(
                    .serviceUnavailable,
                    .object(["status": .string("unavailable"), "error": .string("the database did not answer")]))
            }
        }
    }
}
