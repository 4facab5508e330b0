extension DeliveryOutcome {
    /// A report that needs a secret the master does not have: given up at once, since waiting will not bring
    /// it; the reason names the secret, never a value.
    static func missingSecret(_ name: String) -> DeliveryOutcome {
        .failed(reason: "secret '\(name)' not found")
    }
}
