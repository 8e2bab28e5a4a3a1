from bench.chaos.run import main

raise SystemExit(main())
