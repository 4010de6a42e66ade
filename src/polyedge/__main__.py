from polyedge.cli import main

main()
