"""The org admin area (docs/admin-area.md): server-rendered pages under `/login/admin` and
`/admin/`.

Routes are split by page (`routes_auth`, `routes_keys`, ...); they call the same services as the
API and the CLI. `service.py` holds the rules that only the admin area has (managing admins).
"""
