env "local" {
    url = "URL"
    dev = "sqlite://test?mode=memory&_fk=1"
    src = "./1.hcl"
    migration {
        dir = "file://migrations"
        format = atlas
    }
}
