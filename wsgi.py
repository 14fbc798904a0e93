from huishang import create_app

app = create_app()
