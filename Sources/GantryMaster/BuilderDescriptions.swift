import GantryConfig
import GantryStorage

extension BuildersConnector {
    /// Records each configured builder's description and tags, at start and on every reload.
    func updateBuilderInfo(_ builders: [BuilderConfig]) async throws {
        for builder in builders {
            try await updateBuilderInfo(
                try await findBuilderId(builder.name), description: builder.description, tags: builder.tags)
        }
    }
}
