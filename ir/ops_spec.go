package ir

// Small constructors that keep op definitions in ops_*.go files short and uniform.

func optInt(name string, def int64) AttrSpec {
	return AttrSpec{Name: name, Kind: AttrInt, Default: &Attr{Name: name, Kind: AttrInt, I: def}}
}

func optFloat(name string, def float32) AttrSpec {
	return AttrSpec{Name: name, Kind: AttrFloat, Default: &Attr{Name: name, Kind: AttrFloat, F: def}}
}

func optString(name, def string) AttrSpec {
	return AttrSpec{Name: name, Kind: AttrString, Default: &Attr{Name: name, Kind: AttrString, S: []byte(def)}}
}

// opt declares an attribute with no default (absent means "not given").
func opt(name string, kind AttrKind) AttrSpec { return AttrSpec{Name: name, Kind: kind} }

// req declares a required attribute.
func req(name string, kind AttrKind) AttrSpec {
	return AttrSpec{Name: name, Kind: kind, Required: true}
}
