import sys

from gitbrag.cli import main

sys.exit(main())
