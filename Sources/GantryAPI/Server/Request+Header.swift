import Hummingbird

extension Request {
    /// The values of the header `name`, matched case-insensitively, in the order sent: for headers HTTPTypes
    /// names no constant for (`Last-Event-ID`, a proxy's user header).
    func headerValues(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.canonicalName == wanted }.map(\.value)
    }

    /// The first value of the header `name`.
    func header(_ name: String) -> String? {
        headerValues(name).first
    }
}
