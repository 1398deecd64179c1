import Testing
@testable import FaceletPackage
