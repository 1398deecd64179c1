// FaceletModel: placeholder until the module lands.
