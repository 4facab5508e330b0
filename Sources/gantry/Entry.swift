import GantryCLI

@main
extension GantryCommand {}
