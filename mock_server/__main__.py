"""`python -m mock_server` runs the same CLI as `seedream-mock`."""

from mock_server.cli.main import main

raise SystemExit(main())
