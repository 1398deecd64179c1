import Testing
@testable import FaceletCLI
