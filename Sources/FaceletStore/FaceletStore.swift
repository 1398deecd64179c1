// FaceletStore: placeholder until the module lands.
