import Foundation
import GantryModel
import Yams

extension ConfigReader {
    /// `logStorage: {type: files, directory: logs}` moves finished logs into files in `directory` (relative to the
    /// configuration's directory), which must exist; `{type: database}`, or no `logStorage` at all, keeps them in
    /// the database.
    mutating func logStorage(_ node: Node?, basedir: String) -> LogStorage {
        guard let node else { return .database }
        guard let mapping = node.mapping else {
            problem("logStorage", "must be a mapping like {type: files, directory: logs}")
            return .database
        }
        refuseUnknownKeys(mapping, allowed: ["type", "directory"], at: "logStorage")
        switch string(mapping, "type", at: "logStorage") {
        case "database":
            if mapping["directory"] != nil {
                problem("logStorage.directory", "only logs stored as files have a directory")
            }
            return .database
        case "files":
            guard let directory = string(mapping, "directory", at: "logStorage") else {
                problem("logStorage.directory", "says where the files go, like {type: files, directory: logs}")
                return .database
            }
            let path = directory.hasPrefix("/") ? directory : basedir + "/" + directory
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                problem("logStorage.directory", "'\(path)' does not exist")
            } else if !isDirectory.boolValue {
                problem("logStorage.directory", "'\(path)' is not a directory")
            }
            return .files(directory: path)
        case let other:
            problem("logStorage.type", "must be 'database' or 'files'\(other.map { ", not '\($0)'" } ?? "")")
            return .database
        }
    }
}
