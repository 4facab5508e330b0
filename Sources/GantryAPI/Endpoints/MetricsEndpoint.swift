import Hummingbird
import Prometheus

extension HTTPAPI {
    /// `GET /metrics`: the master's metrics in Prometheus' text format (pools, claims lost, ...).
    func addMetrics(to router: Router<APIRequestContext>) {
        router.get("/metrics") { [metrics] _, _ -> Response in
            var text: [UInt8] = []
            metrics.emit(into: &text)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
