from akeneo_sync.cli import main

main()
