from greenroom.cli.main import app

app()
