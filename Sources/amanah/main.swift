import AmanahCLI

AmanahMain.run()
