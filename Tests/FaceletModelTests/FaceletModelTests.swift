import Testing
@testable import FaceletModel
