import GantryModel

/// A frame a client sends on Buildbot's WebSocket: `{"cmd": "startConsuming", "path": "builds/*/*", "_id": 7}`,
/// `stopConsuming` likewise, or `{"cmd": "ping", "_id": 7}`.
///
/// A frame that is not one is refused with the answer a Buildbot 4.3 master gives, in the order it checks:
/// no `_id` (or a null one) and no `cmd` are 400 with a null `_id`; an unknown command 404; an argument missing or
/// not expected 400, worded as Buildbot's Python words it. Gantry also refuses, with 400, what Buildbot would fail
/// on internally: a frame that is not a JSON object and a `path` that is not text.
enum BuildbotSocketCommand: Sendable, Equatable {
    case startConsuming(path: String, id: JSONValue)
    case stopConsuming(path: String, id: JSONValue)
    case ping(id: JSONValue)

    /// What a frame turned out to be.
    enum Parsed: Sendable, Equatable {
        case command(BuildbotSocketCommand)
        /// Not a command: answer this.
        case refused(BuildbotSocketReply)
    }

    /// Reads one frame's text.
    static func parse(_ text: String) -> Parsed {
        guard case .object(var frame)? = try? JSONValue(json: text) else {
            return .refused(.error("websocket frame is not a JSON object", code: 400, id: .null))
        }
        guard let id = frame.removeValue(forKey: "_id"), id != .null else {
            return .refused(.error("no '_id' or 'type' in websocket frame", code: 400, id: .null))
        }
        guard let command = frame.removeValue(forKey: "cmd"), command != .null else {
            return .refused(.error("no 'cmd' in websocket frame", code: 400, id: .null))
        }
        let name = command.string ?? command.jsonText
        let parameters: [String]
        switch name {
        case "startConsuming", "stopConsuming": parameters = ["path"]
        case "ping": parameters = []
        default: return .refused(.error("no such command type '\(name)'", code: 404, id: id))
        }
        let method = "WsProtocol.cmd_\(name)()"
        if let unexpected = frame.keys.sorted().first(where: { !parameters.contains($0) }) {
            return .refused(invalid("\(method) got an unexpected keyword argument '\(unexpected)'", id: id))
        }
        guard !parameters.isEmpty else { return .command(.ping(id: id)) }
        guard let argument = frame["path"] else {
            return .refused(invalid("\(method) missing 1 required positional argument: 'path'", id: id))
        }
        guard let path = argument.string else { return .refused(invalid("'path' must be a string", id: id)) }
        return .command(
            name == "startConsuming" ? .startConsuming(path: path, id: id) : .stopConsuming(path: path, id: id))
    }

    /// Buildbot's answer to a call its method refused: `Invalid method argument '…'`.
    private static func invalid(_ reason: String, id: JSONValue) -> BuildbotSocketReply {
        .error("Invalid method argument '\(reason)'", code: 400, id: id)
    }
}
