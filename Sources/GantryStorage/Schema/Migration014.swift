extension Migration {
    /// Collapsed build requests (Buildbot's `collapseRequests`): `collapsed_into` names the request whose build
    /// also completes this one. It is set in the transaction that claims both and cleared when they are handed
    /// back; the index finds the requests collapsed into one that a build ends or hands back.
    static let collapsedRequests = Migration(version: 14, summary: "collapsed build requests") { _ in
        [
            """
            ALTER TABLE buildrequests
                ADD COLUMN collapsed_into BIGINT REFERENCES buildrequests (id) ON DELETE SET NULL
            """,
            "CREATE INDEX buildrequests_collapsed_into ON buildrequests (collapsed_into)",
        ]
    }
}
