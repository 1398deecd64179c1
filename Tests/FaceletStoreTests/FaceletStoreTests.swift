import Testing
@testable import FaceletStore
