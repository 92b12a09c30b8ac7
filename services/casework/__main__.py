from shared.serve import serve

serve("casework")
