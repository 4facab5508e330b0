import Foundation
import GantryModel
import Yams

/// Reads the `tls` settings of `http` and `workerPort`.
extension ConfigReader {
    /// `tls: {certificate, key}`, and `clientCA` where `allowsClientCA`; paths relative to `basedir`, made
    /// absolute. `nil` when absent or not valid (the latter reported). The files are read when the master starts
    /// (and on each reload), where a missing or unusable one is reported with its path.
    mutating func tls(_ node: Node?, at path: String, basedir: String, allowsClientCA: Bool) -> TLSFiles? {
        guard let node else { return nil }
        let keys = allowsClientCA ? ["certificate", "key", "clientCA"] : ["certificate", "key"]
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping of \(keys.joined(separator: ", ")) (PEM files)")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: Set(keys), at: path)
        if mapping["certificate"] == nil {
            problem(join(path, "certificate"), "is required: the PEM file of the certificate to present")
        }
        if mapping["key"] == nil { problem(join(path, "key"), "is required: the PEM file of the certificate's key") }
        let certificate = string(mapping, "certificate", at: path)
        let key = string(mapping, "key", at: path)
        let clientCA = allowsClientCA ? string(mapping, "clientCA", at: path) : nil
        guard let certificate, let key else { return nil }
        let base = URL(fileURLWithPath: basedir, isDirectory: true)
        func absolute(_ file: String) -> String {
            URL(fileURLWithPath: file, relativeTo: base).standardizedFileURL.path
        }
        return TLSFiles(certificate: absolute(certificate), key: absolute(key), clientCA: clientCA.map(absolute))
    }
}
