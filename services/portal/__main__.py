from shared.serve import serve

serve("portal")
