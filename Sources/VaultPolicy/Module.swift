// VaultPolicy: see DESIGN.md (Modules). Sources arrive with the issue that builds this module.
