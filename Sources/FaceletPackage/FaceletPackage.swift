// FaceletPackage: placeholder until the module lands.
