from shared.serve import serve

serve("notify")
