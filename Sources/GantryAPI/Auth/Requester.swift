import GantryModel

/// Who asked for what a handler is doing, and from where: what authorization decides on and the audit log
/// records.
///
/// The authentication middleware binds it as a task-local value around every route, so the control operations
/// and the page layout (which the handlers reach through many paths) read it without each handler passing it
/// on. Unbound, it is anonymous: a path that somehow missed the middleware is refused, never let through.
struct Requester: Sendable {
    var caller: Caller
    /// The peer's address (behind a reverse proxy, the proxy's).
    var address: String?

    @TaskLocal static var current = Requester(caller: .anonymous, address: nil)
}
