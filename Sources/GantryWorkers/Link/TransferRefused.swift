/// An upload write the master refused (over `maxsize`, or not storable). Its text answers the worker, so it
/// says what was refused, never the master's paths or errors.
package struct TransferRefused: Error, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
