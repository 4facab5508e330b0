extension DataType {
    // The types of the data API's resources and their parts, with their fields in Buildbot's order and with
    // Buildbot's types; the fields Gantry adds (a buildset's `scheduler` and `properties`, a build request's
    // `collapsed_into`) come last. A patch has no `patchid`: Gantry does not show one.

    static let master = entity(
        "master",
        [
            DataField("masterid", .integer), DataField("name", .string), DataField("active", .boolean),
            DataField("last_active", .datetime),
        ])

    static let builder = entity(
        "builder",
        [
            DataField("builderid", .integer), DataField("name", .string), DataField("masterids", .list(of: .integer)),
            DataField("description", .nullable(.string)), DataField("description_format", .nullable(.string)),
            DataField("description_html", .nullable(.string)), DataField("projectid", .nullable(.integer)),
            DataField("tags", .list(of: .string)),
        ])

    static let worker = entity(
        "worker",
        [
            DataField("workerid", .integer), DataField("name", .string),
            DataField("connected_to", .list(of: masterID)), DataField("configured_on", .list(of: masterBuilder)),
            DataField("workerinfo", .jsonobject), DataField("paused", .boolean),
            DataField("pause_reason", .nullable(.string)), DataField("graceful", .boolean),
        ])

    static let masterID = entity("master_id", [DataField("masterid", .integer)])

    static let masterBuilder = entity(
        "master_builder",
        [
            DataField("masterid", .integer), DataField("builderid", .integer),
        ])

    static let scheduler = entity(
        "scheduler",
        [
            DataField("schedulerid", .integer), DataField("name", .string), DataField("enabled", .boolean),
            DataField("master", .nullable(master)),
        ])

    static let changeSource = entity(
        "changesource",
        [
            DataField("changesourceid", .integer), DataField("name", .string), DataField("master", .nullable(master)),
        ])

    static let forceScheduler = entity(
        "forcescheduler",
        [
            DataField("name", .identifier), DataField("button_name", .string), DataField("label", .string),
            DataField("builder_names", .list(of: .identifier)), DataField("enabled", .boolean),
            DataField("all_fields", .list(of: .jsonobject)),
        ])

    static let patch = entity(
        "patch",
        [
            DataField("body", .binary), DataField("level", .integer), DataField("subdir", .string),
            DataField("author", .string), DataField("comment", .string),
        ])

    static let sourceStamp = entity(
        "sourcestamp",
        [
            DataField("ssid", .integer), DataField("revision", .nullable(.string)),
            DataField("branch", .nullable(.string)), DataField("repository", .string), DataField("project", .string),
            DataField("codebase", .string), DataField("patch", .nullable(patch)), DataField("created_at", .datetime),
        ])

    static let change = entity(
        "change",
        [
            DataField("changeid", .integer), DataField("parent_changeids", .list(of: .integer)),
            DataField("author", .string), DataField("committer", .string), DataField("files", .list(of: .string)),
            DataField("comments", .string), DataField("revision", .nullable(.string)),
            DataField("when_timestamp", .integer), DataField("branch", .nullable(.string)),
            DataField("category", .nullable(.string)), DataField("revlink", .nullable(.string)),
            DataField("properties", .sourcedproperties), DataField("repository", .string),
            DataField("project", .string), DataField("codebase", .string), DataField("sourcestamp", sourceStamp),
        ])

    static let buildset = entity(
        "buildset",
        [
            DataField("bsid", .integer), DataField("external_idstring", .nullable(.string)),
            DataField("reason", .string), DataField("rebuilt_buildid", .nullable(.integer)),
            DataField("submitted_at", .integer), DataField("complete", .boolean),
            DataField("complete_at", .nullable(.integer)), DataField("results", .nullable(.integer)),
            DataField("sourcestamps", .list(of: sourceStamp)), DataField("parent_buildid", .nullable(.integer)),
            DataField("parent_relationship", .nullable(.string)), DataField("scheduler", .nullable(.string)),
            DataField("properties", .sourcedproperties),
        ])

    static let buildRequest = entity(
        "buildrequest",
        [
            DataField("buildrequestid", .integer), DataField("buildsetid", .integer),
            DataField("builderid", .integer), DataField("priority", .integer), DataField("claimed", .boolean),
            DataField("claimed_at", .nullable(.datetime)), DataField("claimed_by_masterid", .nullable(.integer)),
            DataField("complete", .boolean), DataField("results", .nullable(.integer)),
            DataField("submitted_at", .datetime), DataField("complete_at", .nullable(.datetime)),
            DataField("waited_for", .boolean), DataField("properties", .nullable(.sourcedproperties)),
            DataField("collapsed_into", .nullable(.integer)),
        ])

    static let build = entity(
        "build",
        [
            DataField("buildid", .integer), DataField("number", .integer), DataField("builderid", .integer),
            DataField("buildrequestid", .integer), DataField("workerid", .integer), DataField("masterid", .integer),
            DataField("started_at", .datetime), DataField("complete", .boolean),
            DataField("complete_at", .nullable(.datetime)), DataField("locks_duration_s", .integer),
            DataField("results", .nullable(.integer)), DataField("state_string", .string),
            DataField("properties", .nullable(.sourcedproperties)),
        ])

    static let step = entity(
        "step",
        [
            DataField("stepid", .integer), DataField("number", .integer), DataField("name", .identifier),
            DataField("buildid", .integer), DataField("started_at", .nullable(.datetime)),
            DataField("locks_acquired_at", .nullable(.datetime)), DataField("complete", .boolean),
            DataField("complete_at", .nullable(.datetime)), DataField("results", .nullable(.integer)),
            DataField("state_string", .string), DataField("urls", .list(of: url)), DataField("hidden", .boolean),
        ])

    static let url = entity(
        "Url",
        [
            DataField("name", .string), DataField("url", .string),
        ])

    static let log = entity(
        "log",
        [
            DataField("logid", .integer), DataField("name", .string), DataField("slug", .identifier),
            DataField("stepid", .integer), DataField("complete", .boolean), DataField("num_lines", .integer),
            DataField("type", .identifier),
        ])

    static let logChunk = entity(
        "logchunk",
        [
            DataField("logid", .integer), DataField("firstline", .integer), DataField("content", .string),
        ])

    static let project = entity(
        "project",
        [
            DataField("projectid", .integer), DataField("name", .identifier), DataField("slug", .identifier),
            DataField("active", .nullable(.boolean)), DataField("description", .nullable(.string)),
            DataField("description_format", .nullable(.string)), DataField("description_html", .nullable(.string)),
        ])

    static let codebase = entity(
        "codebase",
        [
            DataField("codebaseid", .integer), DataField("projectid", .integer), DataField("name", .identifier),
            DataField("slug", .identifier),
        ])

    static let testResultSet = entity(
        "test_result_set",
        [
            DataField("test_result_setid", .integer), DataField("builderid", .integer),
            DataField("buildid", .integer), DataField("stepid", .integer),
            DataField("description", .nullable(.string)), DataField("category", .string),
            DataField("value_unit", .string), DataField("tests_passed", .nullable(.integer)),
            DataField("tests_failed", .nullable(.integer)), DataField("complete", .boolean),
        ])

    static let specification = entity(
        "spec",
        [
            DataField("path", .string), DataField("type", .string), DataField("plural", .string),
            DataField("type_spec", .jsonobject),
        ])
}
