lint {
    latest = 1
    destructive {
        error = false
    }
}

env "log_name" {
    lint {
        log = "{{ range .Files }}{{ println .Name }}{{ end }}"
    }
}
