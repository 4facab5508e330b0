public import GantryModel

/// The change hooks as the configuration declares them: the settings the HTTP API serves them with.
public typealias ChangeHooksConfig = ChangeHookSettings
