import GantryModel

/// What the server sends on Buildbot's WebSocket, written exactly as a Buildbot 4.3 master writes it (key order
/// included): `{"msg":"OK","code":200,"_id":7}`, `{"msg":"pong","code":200,"_id":7}`,
/// `{"error":"…","code":400,"_id":7}` and events `{"k":"builds/4/finished","m":{…}}`.
enum BuildbotSocketReply: Sendable, Equatable {
    /// The command with this `_id` was carried out.
    case ok(id: JSONValue)
    /// The answer to `ping`.
    case pong(id: JSONValue)
    /// The command was refused; `id` is `null` when the frame had none.
    case error(String, code: Int, id: JSONValue)

    /// The JSON text.
    var text: String {
        switch self {
        case .ok(let id):
            #"{"msg":"OK","code":200,"_id":"# + id.jsonText + "}"
        case .pong(let id):
            #"{"msg":"pong","code":200,"_id":"# + id.jsonText + "}"
        case .error(let message, let code, let id):
            #"{"error":"# + JSONValue.string(message).jsonText + #","code":"# + String(code) + #","_id":"#
                + id.jsonText + "}"
        }
    }

    /// An event's text: its `key` and the resource, `payload` being the resource's JSON text.
    static func event(key: String, payload: String) -> String {
        #"{"k":"# + JSONValue.string(key).jsonText + #","m":"# + payload + "}"
    }
}
