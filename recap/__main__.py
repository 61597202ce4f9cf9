from recap.main import main

main()
