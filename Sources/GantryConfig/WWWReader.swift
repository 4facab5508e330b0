import Foundation
import GantryModel
import Yams

extension ConfigReader {
    /// `www: {buildbotUI: PATH}` serves Buildbot's own web UI from PATH, the `static` folder of an installed
    /// `buildbot-www` (relative to the configuration's directory unless absolute), which must exist and hold the
    /// UI's `index.html`; without `www`, no such UI is served.
    mutating func www(_ node: Node?, basedir: String) -> WWWConfig {
        guard let node else { return WWWConfig() }
        guard let mapping = node.mapping else {
            problem("www", "must be a mapping like {buildbotUI: /path/to/buildbot_www/static}")
            return WWWConfig()
        }
        refuseUnknownKeys(mapping, allowed: ["buildbotUI"], at: "www")
        guard let folder = string(mapping, "buildbotUI", at: "www") else { return WWWConfig() }
        let path = folder.hasPrefix("/") ? folder : basedir + "/" + folder
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            problem("www.buildbotUI", "'\(path)' does not exist")
        } else if !isDirectory.boolValue {
            problem("www.buildbotUI", "'\(path)' is not a directory")
        } else if !FileManager.default.fileExists(atPath: path + "/index.html") {
            problem(
                "www.buildbotUI",
                "'\(path)' has no index.html: name the static folder of an installed buildbot-www, like "
                    + "VENV/lib/python3.11/site-packages/buildbot_www/static")
        }
        return WWWConfig(buildbotUI: path)
    }
}
